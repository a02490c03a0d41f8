#!/bin/bash
# First start of the postgres container: the owner role (migrations) and the app role
# (no superuser, no BYPASSRLS, not table owner), and the database owned by the owner.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE slaweb_owner LOGIN CREATEDB PASSWORD '${OWNER_DB_PASSWORD}';
CREATE ROLE slaweb_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '${APP_DB_PASSWORD}';
CREATE DATABASE slaweb OWNER slaweb_owner;
SQL

"""Every tenant table's factory, found from the TenantOwnedFactory subclasses."""

from . import TenantOwnedFactory


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def factories_by_table() -> dict[str, type]:
    found = {}
    for factory_class in _subclasses(TenantOwnedFactory):
        model = factory_class._meta.model
        if model is not None:
            found.setdefault(model._meta.db_table, factory_class)
    return found

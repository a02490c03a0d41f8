"""Demo data of the agreements domain (`manage.py seed_demo`): idempotent, runs inside the tenant context.

Three customers, four services, two calendars and six agreements in every state, with the
seeds' example metrics (server fault response, on-time monthly report, first-contact
resolution, availability, satisfaction).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from . import services
from .choices import AgreementKind, AgreementStatus, CustomerKind, Language, Side
from .models import Agreement, BusinessCalendar, Contact, Customer, Service

D = Decimal

SERVER_RESPONSE = {
    "name": "服务器故障响应时间 Server fault response",
    "kind": "response_time",
    "target": D("60"),
    "minimum_acceptable": D("120"),
    "attainment_goal_percent": D("95"),
    "tier_codes": ["P1", "P2"],
    "data_source": "ITSM 工单系统 ticket system",
    "provider_responsible": "运维主管 Zhang Wei",
    "customer_responsible": "IT 经理 Li Lei",
}
REPORT_ON_TIME = {
    "name": "月报按时交付率 Monthly report on time",
    "kind": "on_time_delivery_rate",
    "target": D("100"),
    "minimum_acceptable": D("95"),
    "data_source": "交付记录 Deliverable log",
    "provider_responsible": "财务共享中心 Chen Jing",
    "customer_responsible": "财务总监 Wang Fang",
}
FIRST_CONTACT = {
    "name": "首次解决率 First-contact resolution",
    "kind": "first_contact_resolution_rate",
    "target": D("85"),
    "minimum_acceptable": D("75"),
    "tier_codes": ["P1", "P2", "P3", "P4"],
    "data_source": "呼叫中心系统 Call-centre system",
}
AVAILABILITY = {
    "name": "系统可用性 Availability",
    "kind": "availability_percent",
    "target": D("99.5"),
    "minimum_acceptable": D("99"),
    "data_source": "监控系统 Monitoring",
}
SATISFACTION = {
    "name": "客户满意度 Satisfaction",
    "kind": "satisfaction_score",
    "target": D("4.5"),
    "minimum_acceptable": D("4.0"),
    "period": "quarter",
    "data_source": "满意度调查 Survey",
}


def seed(tenant) -> None:
    customers = _customers()
    svc = _services()
    business, always = _calendars()
    common = {"default_calendar": business, "currency": "CNY"}

    def make(reference: str, **fields) -> Agreement | None:
        if Agreement.objects.filter(reference=reference).exists():
            return None
        return services.create_agreement(reference=reference, **{**common, **fields})

    # Active, with a second version in force from July.
    v1 = make(
        "SLA-2026-001",
        title="服务器运维支持协议 Server operations support",
        customer=customers["huaxin"],
        customer_contact=customers["huaxin"].contacts.first(),
        provider_team="IT 运维部 IT Operations",
        provider_contact_name="Zhang Wei 张伟",
        provider_contact_email="zhang.wei@demo.example",
        services=[svc["servers"]],
        scope_included="7x24 监控、故障处理、补丁管理 / 24x7 monitoring, incident handling, patching",
        scope_excluded="第三方网络故障不在范围内 / Third-party network outages are not covered",
        effective_from=dt.date(2026, 1, 1),
        effective_to=dt.date(2026, 12, 31),
        monthly_fee=D("50000"),
        credit_percent=D("5"),
        credit_cap_percent=D("20"),
        metrics=[SERVER_RESPONSE, AVAILABILITY, SATISFACTION],
        recipients=[
            {"side": Side.PROVIDER, "name": "Zhang Wei 张伟", "email": "zhang.wei@demo.example"},
            {"side": Side.CUSTOMER, "contact": customers["huaxin"].contacts.first()},
        ],
    )
    if v1 is not None:
        _activate(v1)
        v2 = services.new_version(v1)
        metrics = [
            {
                **SERVER_RESPONSE,
                "id": v2.metrics.get(name=SERVER_RESPONSE["name"]).pk,
                "target": D("45"),
            },
            AVAILABILITY,
            SATISFACTION,
        ]
        v2 = services.update_agreement(
            v2,
            v2.lock_version,
            effective_from=dt.date(2026, 7, 1),
            monthly_fee=D("55000"),
            metrics=metrics,
        )
        _activate(v2)

    hotline = make(
        "SLA-2026-002",
        title="客户服务热线 Customer support hotline",
        customer=customers["northwind"],
        customer_contact=customers["northwind"].contacts.first(),
        provider_team="客服中心 Service Desk",
        services=[svc["hotline"]],
        effective_from=dt.date(2026, 1, 1),
        monthly_fee=D("30000"),
        credit_percent=D("10"),
        metrics=[FIRST_CONTACT, SATISFACTION],
    )
    if hotline is not None:
        _activate(hotline)

    report = make(
        "OLA-2026-003",
        title="月度财务报告 Monthly finance report",
        kind=AgreementKind.OLA,
        customer=customers["finance"],
        provider_team="财务共享中心 Finance Shared Services",
        services=[svc["finance"]],
        effective_from=dt.date(2026, 1, 1),
        metrics=[REPORT_ON_TIME, SATISFACTION],
    )
    if report is not None:
        services.submit(report)
        services.approve(report, side=Side.PROVIDER, name="Chen Jing 陈静")

    make(
        "SLA-2026-004",
        title="云备份服务 Cloud backup",
        customer=customers["huaxin"],
        services=[svc["backup"]],
        effective_from=dt.date(2027, 1, 1),
        metrics=[AVAILABILITY],
    )

    expired = make(
        "SLA-2025-005",
        title="服务器运维支持 2025 Server operations 2025",
        customer=customers["northwind"],
        services=[svc["servers"]],
        effective_from=dt.date(2025, 1, 1),
        effective_to=dt.date(2025, 12, 31),
        metrics=[SERVER_RESPONSE, AVAILABILITY],
    )
    if expired is not None:
        _activate(expired)
        services.expire(expired)

    terminated = make(
        "UC-2025-006",
        title="机房托管 Data-centre hosting (supplier)",
        kind=AgreementKind.UC,
        customer=customers["northwind"],
        services=[svc["servers"]],
        default_calendar=always,
        effective_from=dt.date(2025, 6, 1),
        metrics=[AVAILABILITY],
    )
    if terminated is not None:
        _activate(terminated)
        services.terminate(terminated, reason="供应商变更 Supplier changed")


def _activate(agreement: Agreement) -> Agreement:
    if agreement.status == AgreementStatus.DRAFT:
        services.submit(agreement)
    services.approve(agreement, side=Side.PROVIDER, name="Zhang Wei 张伟")
    services.approve(agreement, side=Side.CUSTOMER, name="Li Lei 李雷")
    return services.activate(agreement)


def _customers() -> dict[str, Customer]:
    specs = {
        "finance": (
            "财务部 Finance Department",
            CustomerKind.INTERNAL,
            [("Wang Fang 王芳", "wang.fang@demo.example", Language.ZH_HANS, "财务总监 CFO")],
        ),
        "huaxin": (
            "华信科技 Huaxin Technology",
            CustomerKind.EXTERNAL,
            [("Li Lei 李雷", "li.lei@huaxin.example", Language.ZH_HANS, "IT 经理 IT manager")],
        ),
        "northwind": (
            "Northwind Trading 北风贸易",
            CustomerKind.EXTERNAL,
            [("Anna Schmidt", "anna@northwind.example", Language.EN, "Head of IT")],
        ),
    }
    found = {}
    for key, (name, kind, contacts) in specs.items():
        customer, _created = Customer.objects.get_or_create(name=name, defaults={"kind": kind})
        for contact_name, email, language, title in contacts:
            Contact.objects.get_or_create(
                customer=customer,
                email=email,
                defaults={"name": contact_name, "language": language, "title": title},
            )
        found[key] = customer
    return found


def _services() -> dict[str, Service]:
    specs = {
        "servers": ("服务器运维支持 Server operations support", "Monitoring, incidents, patches"),
        "hotline": ("客户服务热线 Customer support hotline", "Phone and chat support"),
        "finance": ("月度财务报告 Monthly finance report", "Month-end closing and report"),
        "backup": ("云备份 Cloud backup", "Daily backups with 30-day retention"),
    }
    return {
        key: Service.objects.get_or_create(name=name, defaults={"description": description})[0]
        for key, (name, description) in specs.items()
    }


def _calendars() -> tuple[BusinessCalendar, BusinessCalendar]:
    business = BusinessCalendar.objects.filter(name="中国工作日 CN business hours").first()
    if business is None:
        slots = [
            {"weekday": day, "start_time": start, "end_time": end}
            for day in range(5)
            for start, end in ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(18)))
        ]
        business = services.save_calendar(
            BusinessCalendar(
                name="中国工作日 CN business hours", time_zone="Asia/Shanghai", country="CN"
            ),
            slots=slots,
        )
    always = services.always_calendar()
    return business, always

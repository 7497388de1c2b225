"""The demo province: enterprises across Hubei and a user for every role.

Idempotent: every row is found by a natural key (USCC, username) and brought to the same
values, so running the seed twice leaves the same data.
"""

import functools
import hashlib

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from .models import Enterprise, Industry, Membership, Region, RegistrationStatus, Role, User
from .services import approve_registration, reject_registration
from .uscc import make_uscc

DEMO_PASSWORD = "Demo-2026-hb"

# (name, region, industry, registration status)
ENTERPRISES = [
    ("武汉江城钢铁有限公司", Region.WUHAN, Industry.C31, "approved"),
    ("武汉青山石化有限公司", Region.WUHAN, Industry.C25, "approved"),
    ("武汉光谷显示科技有限公司", Region.WUHAN, Industry.C39, "approved"),
    ("武汉东风汽车零部件有限公司", Region.WUHAN, Industry.C36, "approved"),
    ("武汉阳逻热电有限公司", Region.WUHAN, Industry.D44, "approved"),
    ("武汉汉南食品有限公司", Region.WUHAN, Industry.C13, "pending"),
    ("黄石大冶有色金属有限公司", Region.HUANGSHI, Industry.C32, "approved"),
    ("黄石华新水泥有限公司", Region.HUANGSHI, Industry.C30, "approved"),
    ("黄石西塞山特钢有限公司", Region.HUANGSHI, Industry.C31, "approved"),
    ("十堰车城铸造有限公司", Region.SHIYAN, Industry.C36, "approved"),
    ("十堰丹江水电有限公司", Region.SHIYAN, Industry.D44, "approved"),
    ("宜昌兴发磷化工有限公司", Region.YICHANG, Industry.C26, "approved"),
    ("宜昌三峡制药有限公司", Region.YICHANG, Industry.C27, "approved"),
    ("宜昌猇亭化工有限公司", Region.YICHANG, Industry.C26, "approved"),
    ("宜昌枝江纸业有限公司", Region.YICHANG, Industry.C22, "pending"),
    ("襄阳汉江纺织有限公司", Region.XIANGYANG, Industry.C17, "approved"),
    ("襄阳隆中汽车部件有限公司", Region.XIANGYANG, Industry.C36, "approved"),
    ("襄阳樊城建材有限公司", Region.XIANGYANG, Industry.C30, "approved"),
    ("鄂州葛店钢铁有限公司", Region.EZHOU, Industry.C31, "approved"),
    ("荆门石化炼油有限公司", Region.JINGMEN, Industry.C25, "approved"),
    ("荆门东宝化工有限公司", Region.JINGMEN, Industry.C26, "approved"),
    ("孝感云梦盐化有限公司", Region.XIAOGAN, Industry.C26, "approved"),
    ("荆州沙市纺织有限公司", Region.JINGZHOU, Industry.C17, "approved"),
    ("荆州江陵热电有限公司", Region.JINGZHOU, Industry.D44, "rejected"),
    ("黄冈武穴建材有限公司", Region.HUANGGANG, Industry.C30, "approved"),
    ("黄冈蕲春医药有限公司", Region.HUANGGANG, Industry.C27, "approved"),
    ("咸宁赤壁纸业有限公司", Region.XIANNING, Industry.C22, "approved"),
    ("随州曾都专用汽车有限公司", Region.SUIZHOU, Industry.C36, "approved"),
    ("恩施硒都食品有限公司", Region.ENSHI, Industry.C13, "approved"),
    ("仙桃无纺布有限公司", Region.XIANTAO, Industry.C17, "approved"),
    ("潜江江汉盐化有限公司", Region.QIANJIANG, Industry.C26, "approved"),
    ("天门岳口纺织有限公司", Region.TIANMEN, Industry.C17, "pending"),
    ("武汉临空港数据中心有限公司", Region.WUHAN, Industry.OTHER, "approved"),
    ("宜昌当阳玻璃有限公司", Region.YICHANG, Industry.C30, "approved"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "强", "军", "洋", "勇", "艳", "杰", "涛", "明", "超"]

# username, role, full name, organisation, region
STAFF = [
    ("reviewer", Role.REVIEWER, "周建华", "湖北省计量测试技术研究院", ""),
    ("reviewer2", Role.REVIEWER, "林晓雯", "湖北省计量测试技术研究院", ""),
    # Holds the approver permission (批准) of reports (granted by reports.demo).
    ("approver", Role.REVIEWER, "陈立平", "湖北省计量测试技术研究院", ""),
    ("expert", Role.PANEL, "郭志远", "湖北省计量测试技术研究院", ""),
    ("expert2", Role.PANEL, "马丽", "武汉市发展和改革委员会", ""),
    ("expert3", Role.PANEL, "彭涛", "武汉市市场监督管理局", ""),
    ("gov_wuhan", Role.GOVERNMENT, "曾红", "武汉市发展和改革委员会", Region.WUHAN),
    ("gov_yichang", Role.GOVERNMENT, "田勇", "宜昌市市场监督管理局", Region.YICHANG),
    # The other local body of each on-site panel (acceptance demo): 发改委 and 市场监管.
    ("gov_wuhan_scjg", Role.GOVERNMENT, "吴敏", "武汉市市场监督管理局", Region.WUHAN),
    ("gov_yichang_fgw", Role.GOVERNMENT, "向东", "宜昌市发展和改革委员会", Region.YICHANG),
    ("operator", Role.OPERATOR, "许明", "省平台运维组", ""),
]


def person(index: int) -> str:
    return SURNAMES[index % len(SURNAMES)] + GIVEN[index % len(GIVEN)]


def demo_uscc(name: str, region: str) -> str:
    digits = int(hashlib.sha256(name.encode()).hexdigest(), 16)
    organisation = f"{digits % 10**8:08d}"
    return make_uscc(f"91{region}{organisation}M")


@functools.cache
def demo_password_hash(hasher_setting: str) -> str:
    """One hash of the demo password shared by every demo user.

    A fixed salt makes it the same on every run, so re-seeding compares strings instead of
    hashing the password again for each of forty users (a third of a second each). It is a
    published demo password: the shared salt protects nothing that matters.
    """
    return make_password(DEMO_PASSWORD, salt="hubeiportaldemo")


def _user(username, *, role, full_name, email, organisation="", region="") -> User:
    password = demo_password_hash(settings.PASSWORD_HASHERS[0])
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={
            "role": role,
            "full_name": full_name,
            "email": email,
            "organisation": organisation,
            "region": region,
            "is_staff": role == Role.OPERATOR,
            "is_superuser": role == Role.OPERATOR,
            "is_active": True,
            "password": password,
        },
    )
    return user


@transaction.atomic
def seed(log=print) -> dict:
    logins = []
    for username, role, full_name, organisation, region in STAFF:
        _user(
            username,
            role=role,
            full_name=full_name,
            email=f"{username}@demo.hbjl.cn",
            organisation=organisation,
            region=region,
        )
        logins.append((username, Role(role).label, organisation))
    reviewer = User.objects.get(username="reviewer")
    enterprises = []
    for index, (name, region, industry, status) in enumerate(ENTERPRISES, start=1):
        contact = person(index)
        enterprise, _ = Enterprise.objects.update_or_create(
            uscc=demo_uscc(name, region),
            defaults={
                "name": name,
                "region": region,
                "industry": industry,
                "address": f"湖北省{Region(region).label}经济开发区{index}号",
                "legal_representative": person(index + 7),
                "contact_person": contact,
                "contact_phone": f"027-{86000000 + index * 137:08d}",
                "contact_email": f"energy{index:02d}@demo-enterprise.cn",
            },
        )
        if enterprise.registration_status == RegistrationStatus.PENDING and status != "pending":
            # Through the reviewer's own service, so the demo has real audit history.
            decide = approve_registration if status == "approved" else reject_registration
            enterprise = decide(
                enterprise,
                reviewer,
                "演示数据：材料齐全"
                if status == "approved"
                else "演示数据：非本省重点用能单位名录企业",
            )
        user = _user(
            f"ent{index:02d}",
            role=Role.ENTERPRISE,
            full_name=contact,
            email=f"ent{index:02d}@demo-enterprise.cn",
        )
        Membership.objects.update_or_create(
            user=user, enterprise=enterprise, defaults={"title": "能源管理员", "is_admin": True}
        )
        enterprises.append(enterprise)
        if index <= 3:
            logins.append((user.username, Role.ENTERPRISE.label, name))
    return {
        "enterprises": enterprises,
        "logins": logins,
        "approved": [
            e for e in enterprises if e.registration_status == RegistrationStatus.APPROVED
        ],
    }

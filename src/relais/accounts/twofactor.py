"""TOTP two-factor with backup codes, on django-otp."""

from base64 import b32encode

import segno
from django.conf import settings
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODE_COUNT = 10


def is_required_for(user) -> bool:
    """Professionals, and whoever may open the admin (it shows every record), whatever
    kind of account the admin gave them."""
    return settings.RELAIS_REQUIRE_2FA and (user.is_professional or user.is_staff)


def has_two_factor(user) -> bool:
    return user.two_factor_enabled


def pending_totp_device(user) -> TOTPDevice:
    """The unconfirmed device being set up (kept across page reloads)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Relais", confirmed=False)


def qr_code_data_uri(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def readable_secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_totp(device: TOTPDevice, token: str) -> bool:
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    device.user.two_factor_enabled = True
    device.user.save(update_fields=["two_factor_enabled"])
    return True


def regenerate_backup_codes(user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="backup")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def remove_two_factor(user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    user.two_factor_enabled = False
    user.save(update_fields=["two_factor_enabled"])

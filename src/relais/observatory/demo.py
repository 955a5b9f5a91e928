"""The demo's observatory: the figures computed from the demo's own stays, referrals and
follow-up, as the worker would compute them at night (so the dashboard has figures as
soon as `relais demo` has run). Idempotent: each run replaces the last."""

from relais.observatory import compute


def load_demo_figures() -> int:
    return compute.compute().rows

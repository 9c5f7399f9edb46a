"""Suite-wide settings: hypothesis profile (no deadlines: CI machines are noisy)."""

from hypothesis import HealthCheck, settings

settings.register_profile("kit", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("kit")

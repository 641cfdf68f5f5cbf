"""Connections between domains that neither side should hard-code: binding checks and
event subscriptions. Called once by the app factory and by the CLI."""

from __future__ import annotations

from souk.access import service as access_service
from souk.channels import service as channels_service
from souk.channels.queries import channel_exists
from souk.db.outbox import EventBus
from souk.inventory.locations import validate_channel_locations
from souk.inventory.queries import location_exists


def wire(bus: EventBus) -> None:
    """Register cross-domain checks and the in-process event handlers."""
    access_service.register_binding_checks(channel=channel_exists)
    access_service.register_binding_checks(location=location_exists)
    channels_service.register_location_check(validate_channel_locations)

"""The HTTP API: `create_app(settings)` builds the service graph once, in the lifespan."""

from api.app import create_app

__all__ = ["create_app"]

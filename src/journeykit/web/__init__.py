"""The web app: server-rendered pages, downloads and a JSON API over a workspace's maps.

It only calls the library (loading, validating, rendering maps) and formats the results.
"""

from journeykit.web.app import create_app

__all__ = ["create_app"]

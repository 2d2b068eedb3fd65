"""The coordinators' web dashboard and the private calendar feeds, served by `cohortbot run` in
the bot's own process and event loop (aiohttp.web). Pages are rendered on the server (Jinja2
templates through the Babel catalogs, charts as inline SVG): no JavaScript is needed to read
them. See web/server.py for the routes and web/auth.py for signing in."""

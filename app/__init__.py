"""Process edges of mentor-api: settings, the aiohttp app, HTTP routes, CLI and worker."""

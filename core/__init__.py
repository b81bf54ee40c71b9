"""The neutral core every layer builds on: settings, the runtime's ports, errors, the clock and
the limits. It imports nothing else of ours, so services, resolvers and the app can all use it."""

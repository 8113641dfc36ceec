# Credentials providers, profile files, region and endpoint resolution.
target_sources(agents_sdk PRIVATE)

# Tests of credentials providers, profile files, region and endpoint resolution.

"""The config service: environments, the options catalogue and the workspace's dataset folders."""

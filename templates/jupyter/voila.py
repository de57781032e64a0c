# Voila configuration of `arassess serve` (arassess.serving.voila_command names this folder):
# the landing page at the server's root and the dashboards' "Client — Dashboard" titles come from
# arassess.run.landing.
from arassess.run.landing import page_config_hook, prelaunch_hook

c.VoilaConfiguration.page_config_hook = page_config_hook  # noqa: F821 (c: the config object Voila provides)
c.VoilaConfiguration.prelaunch_hook = prelaunch_hook  # noqa: F821

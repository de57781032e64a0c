# Voila configuration of `arassess serve` (arassess.serving.voila_command names this folder):
# the landing page at the server's root, and on each dashboard page what its "Client — Dashboard"
# title is made from, come from arassess.run.landing.
from arassess.run.landing import page_config_hook

c.VoilaConfiguration.page_config_hook = page_config_hook  # noqa: F821 (c: the config object Voila provides)

"""Client settings: ``client.yaml`` read and checked, with the escalation ladder and the risk
model's section it contains."""

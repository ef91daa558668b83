"""Legal steps: deciding, penalty notices, payments, withdrawal and the evidence bundle."""

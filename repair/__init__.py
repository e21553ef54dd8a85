"""Identity repair: who a mismatched low-income record most likely is (outputs.md)."""

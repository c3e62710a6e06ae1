"""Rules, one module per family. Each rule is a small function over the loaded release that
yields what it found; importing a module registers its rules in the catalogue."""

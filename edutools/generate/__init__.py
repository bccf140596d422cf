"""Item generation: the anaquest, baseline and local engines, assembly and item-writing checks."""

"""Journey maps: the model, its YAML format, validation, presets, KPI catalog and rendering."""

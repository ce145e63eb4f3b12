"""Journey maps: the model, its YAML file format, validation, presets, the KPI catalog, rendering."""

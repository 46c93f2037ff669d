"""Framework data files (one TOML file per framework) and their source documents."""

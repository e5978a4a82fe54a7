"""The ground floor: shared types, the error hierarchy and the settings; imports nothing of the project."""

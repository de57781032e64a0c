"""The client report: one HTML file and its PDF, composed from the wings' sections."""

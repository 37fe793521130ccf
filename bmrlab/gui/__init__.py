"""The probe-station application (PyQt6 + pyqtgraph). Imported only by `bmrlab gui`."""

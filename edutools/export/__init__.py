"""Item bank exporters: GIFT, Moodle XML, QTI 1.2 and CSV."""

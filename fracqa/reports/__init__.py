"""Reports: each output format turns an AuditRecord into text or bytes, recomputing nothing."""

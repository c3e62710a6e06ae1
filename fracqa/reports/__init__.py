"""Reports: each output format turns an AuditResult into text or bytes, recomputing nothing."""

"""Operations of the reports app, one module per record, imported by its own name
(`from reports.services.seal import upload_seal`); this package re-exports nothing."""

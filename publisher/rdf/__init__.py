"""RDF: the tidy table as Data Cube N-Triples and CSVW, release metadata, the DCAT catalogue and VoID,
the shapes generated per dataset, the vocabulary and the URIs localindex mints."""

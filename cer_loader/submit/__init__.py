"""Submission to CeR over the P1 transport: the client, its errors and answers, orchestration."""

"""Tests of the P1 client (cer_loader/submit) and the CeR emulator (cer_loader/emulator)."""

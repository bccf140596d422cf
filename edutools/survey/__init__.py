"""Style-preference studies: instruments, style measures, style transfer, GSP, preference models."""

"""Published test vectors, embedded with the source they were copied from."""

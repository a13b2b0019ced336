x = 1.0
kinds = ().__class__.__base__.__subclasses__()
L = x * 2

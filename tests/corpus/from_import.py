x = 1.0
from os import system
L = x * 2

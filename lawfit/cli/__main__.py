from lawfit.cli import main

main()

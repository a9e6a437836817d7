from cer_loader.cli import main

main()

return Exchange.Gateway.Cli.ExchangeCommandLine.Run(args);

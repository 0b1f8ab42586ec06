using System.CommandLine;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client cancel-all [INSTRUMENT]</c>: cancels every resting order (<c>C</c>).</summary>
internal static class CancelAllCommand
{
    public static Command Build(ClientOptions options)
    {
        var instrument = ClientOptions.Instrument();
        instrument.Arity = ArgumentArity.ZeroOrOne;
        instrument.Description = "Only this instrument's orders (default: every instrument).";
        var command = new Command("cancel-all", "Cancel every resting order of the account, or those in one instrument.") { instrument };
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            var id = parse.GetValue(instrument) is { } name ? c.Instrument(name) : -1;
            return ClientSession.SendAsync(c, t => Inbound.CancelAllOrders(t, c.Account, id));
        });
        return command;
    }
}

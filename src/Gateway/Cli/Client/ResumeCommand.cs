using System.CommandLine;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client resume INSTRUMENT</c>: ends a circuit-breaker halt (admin; <c>R</c>).</summary>
internal static class ResumeCommand
{
    public static Command Build(ClientOptions options)
    {
        var instrument = ClientOptions.Instrument();
        var command = new Command("resume", "Resume trading on a halted instrument (admin users).") { instrument };
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            var id = c.Instrument(parse.GetValue(instrument)!);
            return ClientSession.SendAsync(c, t => Inbound.Resume(t, id));
        });
        return command;
    }
}

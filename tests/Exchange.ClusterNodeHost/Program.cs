using Exchange.Gateway.Cli;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Hosting;
using Exchange.Testing;
using Microsoft.Extensions.Logging;

// One node of a cluster, run by ClusterHost exactly as `exchange serve --config FILE --node ID` runs it, that also
// prints on stdout, one line each, flushed at once:
//   applied INDEX HASH   after every committed log entry it applied (HASH: the state hash, hex)
//   leader TERM          when it starts taking orders; follower when it stops
//   session ID           once it knows the cluster's session id
//   balance ACCOUNT B    after a clean stop, for accounts 1 to 4 of the committed state, before:
//   stopped INDEX HASH ok|<violations>   after a clean stop (stdin closed): the committed state's invariants
// usage: Exchange.ClusterNodeHost CONFIG.json NODE-ID
if (args.Length != 2) return 2;
var config = ConfigLoader.Load(args[0]);
config = config with { Cluster = config.Cluster! with { NodeId = int.Parse(args[1]) } };
var stdout = Console.Out;
var gate = new object();
void Say(string line)
{
    lock (gate)
    {
        stdout.WriteLine(line);
        stdout.Flush();
    }
}

var configureLogging = ServerLogging.Configure(LogLevel.Warning, json: false);
using var logging = LoggerFactory.Create(configureLogging);
var host = new ClusterHost(config, logging, configureLogging,
    (index, exchange) => Say($"applied {index} {exchange.StateHash():x16}"));
await host.StartAsync();
Say("started");

var stop = Task.Run(() =>
{
    while (Console.In.ReadLine() is not null)
    {
    }
});
long? term = null;
var session = "";
while (!stop.IsCompleted && host.Fault is null)
{
    if (session.Length == 0 && host.SessionId.Length > 0)
        Say($"session {session = host.SessionId}");
    long? now = host.Server is not null ? host.Node.Term : null;
    if (now != term)
        Say(now is { } t ? $"leader {t}" : "follower");
    term = now;
    await Task.WhenAny(stop, Task.Delay(20));
}

await host.DisposeAsync();
var state = host.Node.StateMachine.Exchange;
var violations = InvariantChecker.Violations(state);
for (var account = 1; account <= 4; account++)
    Say($"balance {account} {(state.AccountExists(account) ? state.Balance(account) : 0)}");
Say($"stopped {host.Node.StateMachine.AppliedIndex} {state.StateHash():x16} " +
    (violations.Count == 0 ? "ok" : string.Join("; ", violations)));
if (host.Fault is { } fault)
    Console.Error.WriteLine($"node failed: {fault}");
return host.Fault is null ? 0 : 1;

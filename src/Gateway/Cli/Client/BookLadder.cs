using System.Text;
using Exchange.Client;

namespace Exchange.Gateway.Cli.Client;

/// <summary>
/// <c>exchange client book INSTR</c>: a live depth ladder, rebuilt by a <see cref="BookBuilder"/> from the market-data
/// session: a snapshot from the snapshot port, then the order log from where it ends. Drawn when it changes, checked a few times a second, until Ctrl-C (or for
/// <c>--for MS</c>). When the connection ends it logs in again in the same session from the next sequence number
/// (<see cref="ResumeAsync"/>). On a terminal each frame replaces the last in place; elsewhere (a pipe, a file) frames follow one
/// another, separated by a blank line, with no control codes.
/// </summary>
internal static class BookLadder
{
    private const int RefreshMs = 250;
    private static readonly TimeSpan ResumeWindow = TimeSpan.FromSeconds(30);
    private const string ClearScreen = "\u001b[H\u001b[2J";

    public static async Task<int> RunAsync(ClientContext c, int port, int snapshotPort, int instrument, int depth, long forMs, bool terminal)
    {
        await using var client = await ClientSession.Reach($"{c.Host}:{port} (or the snapshot port {snapshotPort})", "market data",
            () => Login(c, port, snapshotPort)).ConfigureAwait(false);
        using var stop = new StopSignal(forMs);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(RefreshMs));
        string? shown = null;
        while (!stop.IsSet)
        {
            if (client.Closed.IsCompleted)
            {
                if (!await ResumeAsync(c, client, port, stop).ConfigureAwait(false))
                {
                    if (stop.IsSet) break;
                    if (client.EndOfSession)
                    {
                        c.Output.WriteLine("end of session (the server stopped)");
                        return ExitCode.Ok;
                    }
                    throw CommandLineException.Unavailable(
                        $"{c.Host}:{port} (market data) closed the connection{(client.Debug is { } d ? ": " + d : "")}");
                }
                c.Output.WriteLine($"market data: logged in again at {c.Host}:{port}, session {client.Session} from sequence {client.NextSequence}");
                shown = null;
            }
            var frame = Render(client, instrument, depth, c.Units);
            if (frame != shown)
            {
                c.Output.Write(terminal ? ClearScreen : shown is null ? "" : Environment.NewLine);
                c.Output.Write(frame);
                c.Output.Flush();
                shown = frame;
            }
            try
            {
                await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Done.
            }
        }
        if (!client.Closed.IsCompleted) await client.LogoutAsync().ConfigureAwait(false);
        return ExitCode.Ok;
    }

    /// <summary>
    /// The order-log connection ended (the server stopped or restarts, or the connection was lost): logs in again at
    /// the same address, in the same session, from the next sequence number, for up to <see cref="ResumeWindow"/>, and
    /// the ladder goes on from the book it has (a server restarted on its journal continues its session). False when no
    /// login was taken in that time; a refusal (another session: the book cannot go on) is an error at once.
    /// </summary>
    private static async Task<bool> ResumeAsync(ClientContext c, MarketDataClient client, int port, StopSignal stop)
    {
        c.Output.WriteLine($"market data: {c.Host}:{port} {(client.EndOfSession ? "ended the session" : "closed the connection")}; " +
                           $"logging in again for up to {ResumeWindow.TotalSeconds:0} s (Ctrl-C stops)");
        c.Output.Flush();
        var deadline = DateTime.UtcNow + ResumeWindow;
        while (!stop.IsSet)
        {
            try
            {
                await client.ResumeAsync(ClientSession.Timeout).ConfigureAwait(false);
                return true;
            }
            catch (InvalidOperationException e)
            {
                throw new CommandLineException(ExitCode.Rejected, $"{c.Host}:{port} (market data): {e.Message}");
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or TimeoutException or IOException)
            {
                if (DateTime.UtcNow >= deadline) return false;
                await Task.Delay(250).ConfigureAwait(false);
            }
        }
        return false;
    }

    private static async Task<MarketDataClient> Login(ClientContext c, int port, int snapshotPort)
    {
        try
        {
            return await MarketDataClient.JoinAsync(c.Host, port, snapshotPort, c.User, c.Password, ClientSession.Timeout).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw new CommandLineException(ExitCode.Rejected, e.Message);
        }
    }

    /// <summary>Asks above bids, best prices in the middle; the last trade and the mark under the ladder.</summary>
    internal static string Render(MarketDataClient client, int instrument, int depth, Units units) => client.Read(book =>
    {
        var text = new StringBuilder();
        text.AppendLine($"{units.Name(instrument)}{(book.IsHalted(instrument) ? "  HALTED" : "")}  order log #{book.NextSequence - 1}  command #{book.CommandSequence}");
        text.AppendLine($"{"bid size",14} {"price",14} {"ask size",14}");
        var asks = book.Levels(instrument, 1);
        for (var i = Math.Min(depth, asks.Count) - 1; i >= 0; i--)
            text.AppendLine($"{"",14} {units.Price(instrument, asks[i].Price),14} {units.Size(instrument, asks[i].Lots),14}");
        text.AppendLine(new string('-', 44));
        var bids = book.Levels(instrument, 0);
        for (var i = 0; i < Math.Min(depth, bids.Count); i++)
            text.AppendLine($"{units.Size(instrument, bids[i].Lots),14} {units.Price(instrument, bids[i].Price),14}");
        for (var i = book.Trades.Count - 1; i >= 0; i--)
        {
            var t = book.Trades[i];
            if (t.Instrument != instrument) continue;
            text.AppendLine($"last trade {units.Size(instrument, t.Quantity)} @ {units.Price(instrument, t.Price)}");
            break;
        }
        if (book.Mark(instrument) > 0) text.AppendLine($"mark {units.Price(instrument, book.Mark(instrument))}");
        return text.ToString();
    });
}

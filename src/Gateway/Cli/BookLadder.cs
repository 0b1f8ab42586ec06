using System.Text;
using Exchange.Client;

namespace Exchange.Gateway.Cli;

/// <summary>
/// <c>exchange client book INSTR</c>: a live depth ladder in the terminal, rebuilt by a <see cref="BookBuilder"/> from the
/// market-data session (snapshot, then the order log) and redrawn a few times a second until Ctrl-C (or for
/// <c>--for MS</c>, which prints the last frame without clearing the screen: scripts and tests).
/// </summary>
internal static class BookLadder
{
    private const int RefreshMs = 250;

    public static async Task<int> RunAsync(string host, int port, string user, string password, int instrument, int depth,
        int forMs, Units units, TextWriter stdout, TextWriter stderr)
    {
        await using var client = await MarketDataClient.LoginAsync(host, port, user, password, 0, TimeSpan.FromSeconds(5))
            .ConfigureAwait(false);
        using var stop = new CancellationTokenSource();
        if (forMs > 0) stop.CancelAfter(forMs);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(RefreshMs));
            while (!stop.IsCancellationRequested && !client.Closed.IsCompleted)
            {
                if (forMs <= 0) stdout.Write(Render(client, instrument, depth, units, clear: true));
                stdout.Flush();
                try
                {
                    await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Done.
                }
            }
            stdout.Write(Render(client, instrument, depth, units, clear: false));
            if (client.Closed.IsCompleted) stderr.WriteLine($"market-data connection closed{(client.Debug is { } d ? ": " + d : "")}");
            else await client.LogoutAsync().ConfigureAwait(false);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        return 0;
    }

    /// <summary>Asks above bids, best prices in the middle; the last trade and the mark under the ladder.</summary>
    internal static string Render(MarketDataClient client, int instrument, int depth, Units units, bool clear) => client.Read(book =>
    {
        var text = new StringBuilder();
        if (clear) text.Append("\u001b[H\u001b[2J");
        text.AppendLine($"{units.Name(instrument)}  order log #{book.NextSequence - 1}  command #{book.CommandSequence}");
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

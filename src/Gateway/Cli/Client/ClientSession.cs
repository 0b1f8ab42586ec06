using System.Net.Sockets;
using System.Threading.Channels;
using Exchange.Client;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Cli.Client;

/// <summary>
/// What the client commands do over the wire: connect and log in (naming host and port when nothing answers), send one
/// message and print what comes back, or follow a stream until Ctrl-C.
/// </summary>
internal static class ClientSession
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Connects to <paramref name="port"/> and logs in from <paramref name="sequence"/> (0 = new messages only).</summary>
    public static async Task<ExchangeClient> LoginAsync(ClientContext c, int port, long sequence, string what) =>
        (await LoginWithResultAsync(c, port, sequence, what).ConfigureAwait(false)).Client;

    /// <summary>
    /// Like <see cref="LoginAsync"/>, with the server's Login Accepted (session, next sequence number) and where it was
    /// accepted: a cluster follower's refusal (docs/protocol.md section 1) is followed to the leader it names, and while
    /// it names none (an election) the login is tried again, for up to <see cref="Timeout"/>.
    /// </summary>
    public static async Task<(ExchangeClient Client, LoginResult Login, string At)> LoginWithResultAsync(ClientContext c, int port,
        long sequence, string what, string session = "", TimeSpan? timeout = null)
    {
        var (host, at) = (c.Host, port);
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        while (true)
        {
            var client = await Reach($"{host}:{at}", what, () => ExchangeClient.ConnectAsync(host, at)).ConfigureAwait(false);
            LoginResult login;
            try
            {
                login = await Reach($"{host}:{at}", what, () => client.LoginAsync(c.User, c.Password, sequence, session, Timeout)).ConfigureAwait(false);
            }
            catch
            {
                await client.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            if (login.Accepted) return (client, login, $"{host}:{at}");
            await client.DisposeAsync().ConfigureAwait(false);
            if (!login.NotLeader) throw LoginRejected(login.RejectReason, login.Debug);
            if (DateTime.UtcNow > deadline)
                throw CommandLineException.Unavailable($"no cluster leader accepted the login within {(timeout ?? Timeout).TotalSeconds:0} s ({login.Debug})");
            if (login.Leader is { } leader) (host, at) = (leader.Address.ToString(), leader.Port);
            else await Task.Delay(200).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends the message <paramref name="build"/> makes with the user's next token, prints the outcome and what follows
    /// within <see cref="ClientContext.Wait"/>; <see cref="ExitCode.Rejected"/> when the outcome is a <c>J</c>.
    /// </summary>
    public static async Task<int> SendAsync(ClientContext c, Func<uint, byte[]> build)
    {
        var (client, _, at) = await LoginWithResultAsync(c, c.Port, 0, "order entry").ConfigureAwait(false);
        await using var owned = client;
        var format = new MessageFormatter(c.Units);
        // An account-0 query answers with this user's next expected token (and is itself not subject to tokens).
        await client.SendAsync(Inbound.Query(0, 0)).ConfigureAwait(false);
        var next = await Answer(at, client, m => m.Type == 'Q' && m.Account == 0).ConfigureAwait(false);
        var message = build(next.NextToken);
        var isQuery = message[0] == Inbound.AccountQuery;
        await client.SendAsync(message).ConfigureAwait(false);
        var outcome = await Answer(at, client, m => isQuery ? m.Type is 'Q' or 'J' : m.Token == next.NextToken).ConfigureAwait(false);
        c.Output.WriteLine(MessageFormatter.Header($"{c.User}'s stream", "watch"));
        c.Output.WriteLine(format.Format(outcome));
        var deadline = DateTime.UtcNow + c.Wait;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                c.Output.WriteLine(format.Format(await client.ReceiveAsync(deadline - DateTime.UtcNow).ConfigureAwait(false)));
            }
            catch (TimeoutException)
            {
                break;
            }
        }
        await client.LogoutAsync().ConfigureAwait(false);
        return outcome.Type == 'J' ? ExitCode.Rejected : ExitCode.Ok;
    }

    /// <summary>
    /// Prints a stream's messages from <paramref name="from"/> (0 = new ones) until Ctrl-C, the end of the session,
    /// <paramref name="count"/> messages (when &gt; 0) or, with <paramref name="forMs"/> &gt; 0, that many milliseconds.
    /// When the connection ends (a cluster's leader died or was deposed, or the node stopped), it logs in again at the
    /// address it was given, in the same session from the next sequence number (a follower names the new leader, and
    /// every node continues the session: docs/cluster.md), and goes on with no gap and no duplicate; if no node takes the
    /// login, it ends as before (End of Session: the server stopped; otherwise the connection was lost).
    /// </summary>
    public static async Task<int> FollowAsync(ClientContext c, int port, string what, string stream, long from, long count, long forMs,
        MessageFormatter format)
    {
        var (client, login, at) = await LoginWithResultAsync(c, port, from, what).ConfigureAwait(false);
        var session = login.Session.Trim();
        try
        {
            c.Output.WriteLine($"{what}: {c.User} at {at}, session {session} from sequence {login.NextSequence} (Ctrl-C stops)");
            c.Output.WriteLine(MessageFormatter.Header(stream, c.Command[(c.Command.LastIndexOf(' ') + 1)..]));
            c.Output.Flush();
            using var stop = new StopSignal(forMs);
            var next = login.NextSequence;
            for (var printed = 0L; !stop.IsSet && (count <= 0 || printed < count);)
            {
                try
                {
                    var m = await client.ReceiveAsync(TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
                    c.Output.WriteLine(format.Format(m));
                    c.Output.Flush();
                    next = m.Sequence + 1;
                    printed++;
                }
                catch (TimeoutException)
                {
                    // Nothing new: keep waiting.
                }
                catch (ChannelClosedException)
                {
                    var (ended, debug) = (client.EndOfSession, client.Debug);
                    (ExchangeClient Client, LoginResult Login, string At)? again = null;
                    // A follower may still name the leader that just died: try again from the address given for a while.
                    // (Only when the address given is a cluster follower that sent us on: a single server that stopped is
                    // tried once.)
                    var clustered = at != $"{c.Host}:{port}";
                    for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(clustered ? 30 : 0); again is null && !stop.IsSet;)
                    {
                        try
                        {
                            again = await LoginWithResultAsync(c, port, next, what, session, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                        }
                        catch (CommandLineException) when (DateTime.UtcNow < deadline)
                        {
                            await Task.Delay(250).ConfigureAwait(false);
                        }
                        catch (CommandLineException)
                        {
                            break;
                        }
                    }
                    if (again is null)
                    {
                        if (ended)
                        {
                            c.Output.WriteLine("end of session (the server stopped)");
                            return ExitCode.Ok;
                        }
                        throw CommandLineException.Unavailable($"{at} closed the connection{(debug is { } d ? ": " + d : "")}");
                    }
                    await client.DisposeAsync().ConfigureAwait(false);
                    (client, at) = (again.Value.Client, again.Value.At);
                    c.Output.WriteLine($"{what}: logged in again at {at}, session {session} from sequence {again.Value.Login.NextSequence}");
                    c.Output.Flush();
                }
            }
            await client.LogoutAsync().ConfigureAwait(false);
            return ExitCode.Ok;
        }
        finally
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A login refusal, as the exit code of any rejection.</summary>
    public static CommandLineException LoginRejected(char reason, string? debug) => new(ExitCode.Rejected,
        $"login rejected ({reason}): {(string.IsNullOrEmpty(debug) ? reason == 'S' ? "session not available" : "not authorized" : debug)}");

    /// <summary>Runs a step of reaching the server; a refused connection, a silence or a close name host and port.</summary>
    public static async Task<T> Reach<T>(string where, string what, Func<Task<T>> step)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw CommandLineException.Unavailable($"cannot reach the {what} port {where}: {e.Message}");
        }
        catch (TimeoutException)
        {
            throw CommandLineException.Unavailable($"no answer from {where} ({what}) within {Timeout.TotalSeconds:0} s");
        }
        catch (ChannelClosedException)
        {
            throw CommandLineException.Unavailable($"{where} ({what}) closed the connection");
        }
    }

    private static Task<ServerMessage> Answer(string at, ExchangeClient client, Func<ServerMessage, bool> match) =>
        Reach(at, "order entry", () => client.WaitForAsync(match, Timeout));
}

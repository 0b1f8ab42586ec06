namespace Exchange.Gateway.Stress;

/// <summary>A one-line progress bar redrawn in place with a carriage return; for a terminal only.</summary>
internal sealed class ProgressBar(TextWriter output, int total)
{
    private const int Width = 40;
    private readonly DateTime _start = DateTime.UtcNow;
    private int _last = -1;

    public void Update(int done)
    {
        if (done == _last) return;
        _last = done;
        var filled = total == 0 ? Width : (int)((long)done * Width / total);
        var seconds = (DateTime.UtcNow - _start).TotalSeconds;
        output.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {done}/{total} shocks, {seconds:F0} s ");
        output.Flush();
    }

    public void Finish()
    {
        output.Write('\r');
        output.Write(new string(' ', Width + 40));
        output.Write('\r');
        output.Flush();
    }
}

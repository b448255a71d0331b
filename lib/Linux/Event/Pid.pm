package Linux::Event::Pid;
use v5.36;

our $VERSION = '0.009';

use Linux::Event ();
use Linux::Event::Adaptor ();
use Linux::Event::Pid::Subscription ();

# 0.007's adaptor object (new and loop come from Linux::Event::Adaptor);
# the subscriptions, Linux::Event::Pid::Subscription, are made by the engine.
our @ISA = ('Linux::Event::Adaptor');

sub pid {
    my ($self, @args) = @_;
    return Linux::Event::Adaptor::_live_loop($self, __PACKAGE__, 'pid')->pid(@args);
}

1;

__END__

=head1 NAME

Linux::Event::Pid - child process exits through pidfd, and their adaptor object

=head1 SYNOPSIS

  use v5.36;
  use Linux::Event;
  use POSIX qw(WIFEXITED WEXITSTATUS);

  my $loop = Linux::Event->new;

  my $pid = fork // die "fork: $!";
  if (!$pid) { POSIX::_exit(3) }

  $loop->pid($pid, sub ($loop, $pid, $status, $data) {
      say "child $pid exited with ", WEXITSTATUS($status) if WIFEXITED($status);
      $loop->stop;
  });
  $loop->run;

  # 0.007's adaptor form: the same, through an object bound to the loop.
  my $pids = Linux::Event::Pid->new(loop => $loop);
  my $kid  = fork // die "fork: $!";
  if (!$kid) { POSIX::_exit(0) }
  $pids->pid($kid, sub ($loop, $pid, $status, $data) { say "$data $pid done"; $loop->stop },
      data => 'child');
  $loop->run;

=head1 DESCRIPTION

C<< $loop->pid($pid, $cb, data => $any, reap => 1) >> watches process
C<$pid> through pidfd_open(2) and returns a
L<Linux::Event::Pid::Subscription> (with C<cancel> and C<is_active>).  Options:
C<data>, passed to the callback (undef if not given), and C<reap>
(boolean, default 1).

C<pid> croaks on:

=over 4

=item *

a missing callback (a C<Usage:> message), or a callback that is not a CODE
reference;

=item *

an odd number of options, or unknown options (C<unknown pid args: x>);

=item *

a C<$pid> that is not a positive integer (up to 2**31-1);

=item *

a process that does not exist (C<no such process>);

=item *

with C<< reap => 1 >>, a process that is not a child of this process
(C<not a child of this process>; use C<< reap => 0 >> to be notified only).

=back

The callback is called once, as C<< $cb->($loop, $pid, $status, $data) >>,
when the process exits; the subscription then cancels itself.

With C<< reap => 1 >> (the default) the loop reaps the child without blocking
and passes the raw wait status, for C<POSIX::WIFEXITED>, C<WEXITSTATUS>,
C<WIFSIGNALED> and C<WTERMSIG>.  A process that is not a child of this
process cannot be reaped: subscribing to it with C<< reap => 1 >> croaks.
With C<< reap => 0 >> the callback only reports the exit, C<$status> is
undef, and reaping is left to the caller.

If a child watched with C<< reap => 1 >> is reaped by someone else first (your
own C<waitpid> or C<wait>, or C<$SIG{CHLD} = 'IGNORE'>, which makes the
kernel reap children),
the loop cannot reap it: C<run>/C<run_once> croaks (C<cannot reap process
...  (was it reaped elsewhere?)>) and the subscription is gone.

There is one subscription per pid: a later C<pid()> for the same pid
replaces the earlier one, whichever way (the loop method or an adaptor
object of the same loop) either was made; the replaced one is then
inactive.

=head1 METHODS

The subscription's methods, C<cancel> and C<is_active>, are documented in
L<Linux::Event::Pid::Subscription>.  This class is 0.007's adaptor: an
object bound to a loop, whose C<pid> method is the loop's (C<new> and
C<loop> are inherited from L<Linux::Event::Adaptor>).

=head2 new

  my $pids = Linux::Event::Pid->new(loop => $loop);

Returns an adaptor for C<$loop>; it keeps only a weak reference to the loop.
Croaks on an odd number of arguments, a missing C<loop> or one that is not a
L<Linux::Event::Loop>, and unknown arguments (C<unknown args: x>).  Every
adaptor of a loop shares that loop's one subscription per pid with
C<< $loop->pid >>.

=head2 loop

  my $loop = $pids->loop;

The loop (undef once it is gone).  No arguments.

=head2 pid

  my $sub = $pids->pid($pid, $cb, data => $any, reap => 1);

The same as C<< $loop->pid(...) >>, with the same arguments, result and
croaks; croaks too when the loop is gone.

=head1 REQUIREMENTS

Linux 5.3 or later, for pidfd_open(2).  (Before Linux 5.4, which added
C<waitid(P_PIDFD)>, whether the process is our child is asked by its pid.)
Where pidfd_open(2) is missing (C<ENOSYS>) or forbidden by a sandbox
(C<EPERM>), C<< $loop->pid >> croaks, from the caller's line:

  pid: watching processes needs pidfd_open(2), which Linux has since 5.3;
  this kernel or its sandbox refuses it (ENOSYS)

and everything else the loop does goes on working.

=head1 SEE ALSO

L<Linux::Event::Pid::Subscription>, L<Linux::Event::Loop>, L<Linux::Event>,
pidfd_open(2), waitpid(2),
L<POSIX/WIFEXITED>; F<examples/child_processes.pl> in the distribution.

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Pid version 0.009.

=cut

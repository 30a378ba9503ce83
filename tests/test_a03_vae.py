"""Tests of assignment a03_vae: the solution scores full marks, correct code in another style too,
and every plausible mistake costs points in its own exercise, by a message that names the cause.

Mutants run the solution's setup and exercise cells without its demo cells (the demo cells
train models for the reader and no check uses them), so that the table takes seconds; one
mutant also runs the whole notebook, as a learner would.
"""

from __future__ import annotations

import numpy as np
import torch

from tests.helpers import (
    Alternative,
    ChapterTests,
    Mistake,
    OddReturn,
    returns,
)

A = "a03_vae"

# Lines of the solution that the mistakes below rewrite.
SIGMA = "sigma = torch.exp(0.5 * logvar)  # (batch, latent_dim)"
EPS = "eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)"
KL = "return 0.5 * (log_ratio.exp() + (mu - prior_mu).pow(2) / prior_logvar.exp() - 1.0 - log_ratio)"
LOG_RATIO = "log_ratio = logvar - prior_logvar  #"
MC_Z = "z = mu + torch.exp(0.5 * logvar) * eps  # (num_samples, batch, latent_dim)"
MC_RETURN = "return (log_q - log_p).mean(dim=0)"
RECON = 'recon = F.binary_cross_entropy(x_hat, x, reduction="sum") / x.shape[0]'
KL_TERM = "kl = gaussian_kl(mu, logvar).sum(dim=1).mean()"
HEADS = "return self.to_mu(h), self.to_logvar(h)"
FORWARD_Z = "z = reparameterize(mu, logvar, generator)  # (batch, latent_dim)"
ADAM = "optimizer = torch.optim.Adam(model.parameters(), lr=lr)"
EPOCH = "    for _ in range(num_epochs):\n"
BATCHES = "for idx in torch.randperm(len(x), generator=generator).split(batch_size):"
STEP_FORWARD = "x_hat, mu, logvar = model(x[idx], generator)"
STEP_LOSS = "loss, recon, kl = negative_elbo(x[idx], x_hat, mu, logvar, beta)"
PRIOR_Z = "z = torch.randn(n, model.latent_dim, generator=generator)  # (n, latent_dim)"
ACTIVE = "mu.var(dim=0, unbiased=False) > threshold"


m = Mistake  # the table's rows: m(name, exercise, replacements, check, also=())


# The mistakes the chapter must catch: each is written into the solution and must fail the named
# check of its own exercise by an assertion, and cost no other exercise anything (unless `also`).
MISTAKES = [
    # reparameterize
    m("sigma = exp(logvar) instead of exp(logvar / 2)", "reparameterize",
      {SIGMA: "sigma = torch.exp(logvar)"}, "test_reparameterize_gradients_reach_mu_and_logvar"),
    m("no reparameterisation trick: z drawn by torch.normal", "reparameterize",
      {f"    {EPS}\n    return mu + sigma * eps": "    return torch.normal(mu, sigma, generator=generator)"},
      "test_reparameterize_gradients_reach_mu_and_logvar"),
    m("no reparameterisation trick: a detached sample", "reparameterize",
      {"return mu + sigma * eps": "return (mu + sigma * eps).detach()"},
      "test_reparameterize_gradients_reach_mu_and_logvar"),
    m("eps drawn without the generator", "reparameterize",
      {EPS: "eps = torch.randn_like(mu)"}, "test_reparameterize_shape_and_seed"),
    m("one eps for the whole batch", "reparameterize",
      {EPS: "eps = torch.randn(mu.shape[-1], generator=generator, dtype=mu.dtype)"},
      "test_reparameterize_sample_moments"),
    m("one eps per example, shared by its dimensions", "reparameterize",
      {EPS: "eps = torch.randn(mu.shape[0], 1, generator=generator, dtype=mu.dtype)"},
      "test_reparameterize_draws_independent_noise"),
    # gaussian_kl
    m("KL without its 1/2", "gaussian_kl", {KL: KL.replace("return 0.5 * (", "return (")},
      "test_gaussian_kl_matches_torch_distributions"),
    m("KL with its sign flipped", "gaussian_kl", {KL: KL.replace("return 0.5", "return -0.5")},
      "test_gaussian_kl_is_zero_only_at_the_prior_and_never_negative"),
    m("KL with sigma where sigma^2 belongs", "gaussian_kl",
      {KL: KL.replace("log_ratio.exp()", "(0.5 * log_ratio).exp()").replace("- 1.0 - log_ratio",
                                                                           "- 1.0 - 0.5 * log_ratio")},
      "test_gaussian_kl_matches_torch_distributions"),
    m("KL with logvar taken as log sigma", "gaussian_kl",
      {LOG_RATIO: "log_ratio = 2 * (logvar - prior_logvar)  #"}, "test_gaussian_kl_matches_torch_distributions"),
    m("KL to a prior of variance 1: the prior's variance ignored", "gaussian_kl",
      {KL: KL.replace(" / prior_logvar.exp()", ""), LOG_RATIO: "log_ratio = logvar  #"},
      "test_gaussian_kl_to_a_gaussian_prior"),
    m("(mu - prior_mu)^2 not divided by the prior's variance", "gaussian_kl",
      {KL: KL.replace(" / prior_logvar.exp()", "")}, "test_gaussian_kl_to_a_gaussian_prior"),
    m("prior_mu ignored", "gaussian_kl", {KL: KL.replace("(mu - prior_mu)", "mu")},
      "test_gaussian_kl_to_a_gaussian_prior"),
    m("KL(p || q) instead of KL(q || p)", "gaussian_kl",
      {KL: "return 0.5 * ((-log_ratio).exp() + (mu - prior_mu).pow(2) / logvar.exp() - 1.0 + log_ratio)"},
      "test_gaussian_kl_to_a_gaussian_prior"),
    m("KL computed on detached tensors", "gaussian_kl",
      {LOG_RATIO: "mu, logvar = mu.detach(), logvar.detach()\n    " + LOG_RATIO},
      "test_gaussian_kl_is_differentiable"),
    # monte_carlo_kl
    m("the closed form returned as the estimate", "monte_carlo_kl",
      {MC_RETURN: "return gaussian_kl(mu, logvar, prior_mu, prior_logvar)"},
      "test_monte_carlo_kl_averages_the_log_ratio_over_the_samples"),
    m("log p - log q averaged", "monte_carlo_kl", {MC_RETURN: "return (log_p - log_q).mean(dim=0)"},
      "test_monte_carlo_kl_averages_the_log_ratio_over_the_samples"),
    m("samples drawn with sigma = exp(logvar)", "monte_carlo_kl",
      {MC_Z: "z = mu + torch.exp(logvar) * eps"}, "test_monte_carlo_kl_averages_the_log_ratio_over_the_samples"),
    m("log densities evaluated at eps instead of the samples of q", "monte_carlo_kl",
      {MC_Z: "z = eps"}, "test_monte_carlo_kl_averages_the_log_ratio_over_the_samples"),
    m("the average taken over the examples", "monte_carlo_kl", {MC_RETURN: "return (log_q - log_p).mean(dim=1)"},
      "test_monte_carlo_kl_averages_over_samples_not_examples"),
    m("the prior's density with prior_logvar taken as log s", "monte_carlo_kl",
      {"(z - prior_mu).pow(2) / prior_logvar.exp())": "(z - prior_mu).pow(2) / (2 * prior_logvar).exp())"},
      "test_monte_carlo_kl_is_zero_when_q_is_the_prior"),
    m("log q without its log-variance term", "monte_carlo_kl",
      {"log_q = -0.5 * (logvar + (z - mu)": "log_q = -0.5 * ((z - mu)"},
      "test_monte_carlo_kl_is_zero_when_q_is_the_prior"),
    # negative_elbo
    m("reconstruction averaged over pixels too (BCE mean-reduced)", "negative_elbo",
      {RECON: "recon = F.binary_cross_entropy(x_hat, x)"}, "test_negative_elbo_matches_bce_plus_kl"),
    m("reconstruction summed over the batch", "negative_elbo",
      {RECON: 'recon = F.binary_cross_entropy(x_hat, x, reduction="sum")'}, "test_negative_elbo_matches_bce_plus_kl"),
    m("KL summed over the batch", "negative_elbo", {KL_TERM: "kl = gaussian_kl(mu, logvar).sum()"},
      "test_negative_elbo_averages_over_the_batch"),
    m("KL averaged over latent dimensions too", "negative_elbo", {KL_TERM: "kl = gaussian_kl(mu, logvar).mean()"},
      "test_negative_elbo_matches_bce_plus_kl"),
    m("KL detached", "negative_elbo", {KL_TERM: "kl = gaussian_kl(mu.detach(), logvar.detach()).sum(dim=1).mean()"},
      "test_negative_elbo_is_differentiable_in_x_hat_mu_and_logvar"),
    m("beta * KL returned as the KL", "negative_elbo", {"return loss, recon, kl": "return loss, recon, beta * kl"},
      "test_beta_weighs_only_the_kl_term"),
    m("beta applied to the reconstruction term", "negative_elbo",
      {"loss = recon + beta * kl": "loss = beta * recon + kl"}, "test_beta_weighs_only_the_kl_term"),
    m("the KL subtracted", "negative_elbo", {"loss = recon + beta * kl": "loss = recon - beta * kl"},
      "test_negative_elbo_matches_bce_plus_kl"),
    # The loop cannot train on a loss cut from the graph: train_vae then fails too, naming negative_elbo.
    m("a loss rebuilt from a Python float, cut from the graph", "negative_elbo",
      {"return loss, recon, kl": "return torch.tensor(float(loss)), recon, kl"},
      "test_negative_elbo_is_differentiable_in_x_hat_mu_and_logvar", also=("train_vae",)),
    # VAE
    m("a missing seed for the initial weights", "VAE",
      {"        torch.manual_seed(seed)  # the initial weights depend on `seed` only\n": ""},
      "test_seed_sets_the_initial_weights"),
    m("a decoder without a sigmoid", "VAE",
      {"nn.Linear(hidden_dim, input_dim), nn.Sigmoid())": "nn.Linear(hidden_dim, input_dim))"},
      "test_decode_gives_pixel_probabilities"),
    m("logvar read from the mu head", "VAE", {HEADS: "return self.to_mu(h), self.to_mu(h)"},
      "test_encode_gives_mu_and_logvar_of_width_latent_dim"),
    m("latent_dim kept as a constant", "VAE",
      {"self.input_dim, self.latent_dim = input_dim, latent_dim": "self.input_dim, self.latent_dim = input_dim, 2"},
      "test_encode_gives_mu_and_logvar_of_width_latent_dim"),
    m("a softplus on the logvar head", "VAE", {HEADS: "return self.to_mu(h), F.softplus(self.to_logvar(h))"},
      "test_encoder_heads_are_unconstrained"),
    m("a ReLU on both encoder heads", "VAE", {HEADS: "return torch.relu(self.to_mu(h)), torch.relu(self.to_logvar(h))"},
      "test_encoder_heads_are_unconstrained"),
    m("the logvar head returns a variance (exp)", "VAE", {HEADS: "return self.to_mu(h), self.to_logvar(h).exp()"},
      "test_encoder_heads_are_unconstrained"),
    m("forward decodes mu instead of a sample z", "VAE", {"x_hat = self.decode(z)": "x_hat = self.decode(mu)"},
      "test_forward_samples_with_the_generator_it_is_given"),
    m("forward ignores the generator", "VAE", {FORWARD_Z: "z = reparameterize(mu, logvar, None)"},
      "test_forward_samples_with_the_generator_it_is_given"),
    m("forward draws its own noise from the global generator", "VAE",
      {FORWARD_Z: "z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)"},
      "test_forward_samples_with_the_generator_it_is_given"),
    m("forward samples with sigma = exp(logvar)", "VAE",
      {FORWARD_Z: "z = mu + torch.exp(logvar) * torch.randn(mu.shape, generator=generator)"},
      "test_forward_decodes_one_sample_of_q"),
    # train_vae
    m("no zero_grad", "train_vae", {"            optimizer.zero_grad()\n": ""},
      "test_trained_model_is_as_good_as_the_reference"),
    m("zero_grad between backward and step", "train_vae",
      {"            optimizer.zero_grad()\n            loss.backward()\n":
       "            loss.backward()\n            optimizer.zero_grad()\n"},
      "test_train_vae_matches_a_reference_run"),
    m("beta dropped in training", "train_vae", {STEP_LOSS: STEP_LOSS.replace(", beta)", ")")},
      "test_train_vae_matches_a_reference_run"),
    m("training decodes mu", "train_vae",
      {STEP_FORWARD: "_, mu, logvar = model(x[idx], generator)\n            x_hat = model.decode(mu)"},
      "test_train_vae_matches_a_reference_run"),
    m("the KL detached in training", "train_vae",
      {STEP_LOSS: "loss, recon, kl = negative_elbo(x[idx], x_hat, mu.detach(), logvar.detach(), beta)"},
      "test_train_vae_matches_a_reference_run"),
    m("training without the generator: the noise", "train_vae",
      {STEP_FORWARD: "x_hat, mu, logvar = model(x[idx])"}, "test_train_vae_depends_on_the_seed_only"),
    m("training without the generator: the order", "train_vae",
      {BATCHES: "for idx in torch.randperm(len(x)).split(batch_size):"}, "test_train_vae_depends_on_the_seed_only"),
    m("the generator seeded with a constant", "train_vae",
      {"generator = torch.Generator().manual_seed(seed)\n    optimizer": "generator = torch.Generator().manual_seed(0)\n"
       "    optimizer"}, "test_train_vae_depends_on_the_seed_only"),
    m("a new generator every epoch", "train_vae",
      {EPOCH: EPOCH + "        generator = torch.Generator().manual_seed(seed)\n"},
      "test_train_vae_matches_a_reference_run"),
    m("a new optimiser every epoch", "train_vae", {EPOCH: EPOCH + f"        {ADAM}\n"},
      "test_train_vae_matches_a_reference_run"),
    m("one order for the whole run", "train_vae",
      {EPOCH: "    order = torch.randperm(len(x), generator=generator)\n" + EPOCH,
       BATCHES: "for idx in order.split(batch_size):"}, "test_train_vae_matches_a_reference_run"),
    m("lr ignored", "train_vae", {ADAM: ADAM.replace("lr=lr", "lr=1e-3")}, "test_train_vae_matches_a_reference_run"),
    m("plain SGD instead of Adam", "train_vae", {ADAM: ADAM.replace("Adam", "SGD")},
      "test_train_vae_matches_a_reference_run"),
    m("Adam with a weight decay nobody asked for", "train_vae", {ADAM: ADAM.replace("lr=lr", "lr=lr, weight_decay=0.01")},
      "test_train_vae_matches_a_reference_run"),
    m("a learning-rate scheduler nobody asked for", "train_vae",
      {ADAM: ADAM + "\n    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)",
       "    model.eval()\n    return history": "        scheduler.step()\n    model.eval()\n    return history"},
      "test_train_vae_matches_a_reference_run"),
    m("the last, smaller batch skipped", "train_vae",
      {BATCHES: BATCHES + "\n            if len(idx) < batch_size:\n                continue"},
      "test_train_vae_records_every_step"),
    m("the history records one value per epoch", "train_vae",
      {'            history["loss"].append(loss.item())\n            history["recon"].append(recon.item())\n'
       '            history["kl"].append(kl.item())\n':
       "", "    model.eval()\n    return history":
       '        history["loss"].append(loss.item())\n        history["recon"].append(recon.item())\n'
       '        history["kl"].append(kl.item())\n    model.eval()\n    return history'},
      "test_train_vae_records_every_step"),
    # sample_prior
    m("prior samples drawn without the generator", "sample_prior",
      {PRIOR_Z: "z = torch.randn(n, model.latent_dim)"}, "test_prior_samples_are_decoded_by_the_model"),
    m("uniform prior samples", "sample_prior", {PRIOR_Z: PRIOR_Z.replace("torch.randn", "torch.rand")},
      "test_prior_samples_are_standard_normal"),
    m("a scaled prior", "sample_prior", {PRIOR_Z: PRIOR_Z.replace("z = torch.randn", "z = 2 * torch.randn")},
      "test_prior_samples_are_standard_normal"),
    m("a sigmoid applied again to the decoded samples", "sample_prior",
      {"return z, model.decode(z)": "return z, torch.sigmoid(model.decode(z))"},
      "test_prior_samples_are_decoded_by_the_model"),
    m("latent_dim hard-coded to 2", "sample_prior", {PRIOR_Z: PRIOR_Z.replace("model.latent_dim", "2")},
      "test_sample_prior_takes_its_sizes_from_the_model"),
    # active_units
    m("active units by the standard deviation", "active_units", {ACTIVE: "mu.std(dim=0) > threshold"},
      "test_active_units_on_constructed_latents"),
    m("active units by the variance over latent dimensions", "active_units",
      {ACTIVE: "mu.var(dim=1, unbiased=False) > threshold"}, "test_active_units_takes_the_variance_over_examples"),
    m("active units by the mean of mu squared", "active_units", {ACTIVE: "mu.pow(2).mean(dim=0) > threshold"},
      "test_active_units_on_constructed_latents"),
    m("a hard-coded threshold", "active_units", {ACTIVE: "mu.var(dim=0, unbiased=False) > 0.01"},
      "test_active_units_on_constructed_latents"),
    m("a variance equal to the threshold counted as active", "active_units",
      {ACTIVE: "mu.var(dim=0, unbiased=False) >= threshold"}, "test_active_units_takes_the_variance_over_examples"),
    m("the variance divided by n - 1", "active_units", {ACTIVE: "mu.var(dim=0) > threshold"},
      "test_active_units_takes_the_variance_over_examples"),
    m("the count returned as a tensor", "active_units",
      {"return int((mu.var(dim=0, unbiased=False) > threshold).sum())":
       "return (mu.var(dim=0, unbiased=False) > threshold).sum()"}, "test_active_units_on_constructed_latents"),
    # found by a learner's trial
    m("the estimate summed over the samples", "monte_carlo_kl", {MC_RETURN: "return (log_q - log_p).sum(dim=0)"},
      "test_monte_carlo_kl_averages_the_log_ratio_over_the_samples"),
    m("the estimate drawing noise of its own", "monte_carlo_kl",
      {MC_Z: "z = mu + torch.exp(0.5 * logvar) * torch.randn_like(eps)"},
      "test_monte_carlo_kl_averages_the_log_ratio_over_the_samples"),
    m("one prior sample repeated n times", "sample_prior",
      {PRIOR_Z: "z = torch.randn(1, model.latent_dim, generator=generator).expand(n, -1)"},
      "test_prior_samples_are_standard_normal"),
    m("a history of tensors instead of floats", "train_vae",
      {'            history["loss"].append(loss.item())\n            history["recon"].append(recon.item())\n'
       '            history["kl"].append(kl.item())\n':
       '            history["loss"].append(loss.detach())\n            history["recon"].append(recon.detach())\n'
       '            history["kl"].append(kl.detach())\n'}, "test_train_vae_records_every_step"),
]


# Correct code in another style: each must get full marks.
ALTERNATIVES = [
    Alternative("library distributions, one two-headed layer, an index loop, numpy", {
        f"    {SIGMA}\n    {EPS}\n    return mu + sigma * eps":
            "    return mu + torch.exp(logvar / 2) * torch.empty_like(mu).normal_(generator=generator)",
        f"    prior_mu = torch.as_tensor(prior_mu, dtype=mu.dtype)\n"
        f"    prior_logvar = torch.as_tensor(prior_logvar, dtype=mu.dtype)\n    {LOG_RATIO} log(sigma^2 / s^2), "
        f"(batch, latent_dim)\n    {KL}":
            "    var_p = torch.exp(torch.as_tensor(prior_logvar, dtype=mu.dtype))\n"
            "    return 0.5 * (torch.log(var_p) - logvar) + (logvar.exp() + (mu - prior_mu) ** 2) / (2 * var_p) - 0.5",
        f"    {MC_Z}\n": "    q = torch.distributions.Normal(mu, torch.exp(logvar / 2))\n"
                       "    p = torch.distributions.Normal(prior_mu, torch.exp(prior_logvar / 2))\n"
                       "    z = [mu + q.scale * e for e in eps]  # one sample of q per row of eps\n"
                       "    return sum(q.log_prob(z_s) - p.log_prob(z_s) for z_s in z) / len(z)\n",
        f"    {RECON}\n    {KL_TERM}\n    loss = recon + beta * kl\n    return loss, recon, kl":
            "    n = len(x)\n"
            "    recon = -(x * torch.log(x_hat) + (1 - x) * torch.log(1 - x_hat)).sum() / n\n"
            "    kl = gaussian_kl(mu, logvar).sum() / n\n"
            "    return recon + beta * kl, recon, kl",
        "        self.to_mu = nn.Linear(hidden_dim, latent_dim)\n        self.to_logvar = nn.Linear(hidden_dim, latent_dim)\n":
            "        self.heads = nn.Linear(hidden_dim, 2 * latent_dim)\n",
        HEADS: "return self.heads(h).chunk(2, dim=1)",
        "nn.Linear(hidden_dim, input_dim), nn.Sigmoid())": "nn.Linear(hidden_dim, input_dim))",
        "        return self.decoder(z)\n": "        return torch.sigmoid(self.decoder(z))\n",
        f"        {FORWARD_Z}\n        x_hat = self.decode(z)\n        return x_hat, mu, logvar":
            "        eps = torch.empty_like(mu).normal_(generator=generator)\n"
            "        return self.decode(mu + eps * torch.exp(0.5 * logvar)), mu, logvar",
        f"    model.train()\n{EPOCH}        {BATCHES}\n            {STEP_FORWARD}\n            {STEP_LOSS}\n"
        "            optimizer.zero_grad()\n            loss.backward()\n            optimizer.step()\n"
        '            history["loss"].append(loss.item())\n            history["recon"].append(recon.item())\n'
        '            history["kl"].append(kl.item())\n':
            "    steps = []\n    epoch = 0\n    while epoch < num_epochs:\n"
            "        order = torch.randperm(x.shape[0], generator=generator)\n"
            "        for start in range(0, x.shape[0], batch_size):\n"
            "            batch = x[order[start:start + batch_size]]\n"
            "            terms = negative_elbo(batch, *model(batch, generator), beta=beta)\n"
            "            terms[0].backward()\n            optimizer.step()\n"
            "            model.zero_grad(set_to_none=True)\n"
            "            steps.append([t.item() for t in terms])\n"
            "        epoch += 1\n"
            "    for key, column in zip(history, zip(*steps)):\n        history[key] = list(column)\n",
        f"    with torch.no_grad():\n        {PRIOR_Z}\n        return z, model.decode(z)":
            "    z = torch.randn((n, model.latent_dim), generator=generator)\n"
            "    with torch.inference_mode():\n        x_hat = model.decode(z)\n    return z, x_hat",
        f"    mu = torch.as_tensor(mu)\n    return int(({ACTIVE}).sum())":
            "    mu = np.asarray(mu, dtype=np.float64)\n"
            "    return sum(1 for u in range(mu.shape[1]) if np.var(mu[:, u]) > threshold)",
    }),
]


# Degenerate but plain answers: each must fail its check by an assertion with a message (never
# pass on a degenerate answer), and the same exercise left unimplemented must be reported as that.
ODD_RETURNS = [
    OddReturn("a KL of zeros everywhere", "test_gaussian_kl_is_zero_only_at_the_prior_and_never_negative",
              {"gaussian_kl": lambda mu, logvar, *args, **kwargs: torch.zeros_like(mu)}),
    OddReturn("a loss returned as an array of text", "test_negative_elbo_matches_bce_plus_kl",
              {"negative_elbo": returns((np.array("one"),) * 3)}),
    OddReturn("samples of NaN", "test_reparameterize_sample_moments",
              {"reparameterize": lambda mu, logvar, generator: torch.full_like(mu, float("nan"))}),
    OddReturn("an estimate of one number for the whole batch", "test_monte_carlo_kl_averages_the_log_ratio_over_the_samples",
              {"monte_carlo_kl": returns(torch.tensor(0.5))}),
    OddReturn("a history of text", "test_train_vae_records_every_step",
              {"train_vae": returns({"loss": ["low"], "recon": ["high"], "kl": ["none"]})}),
    OddReturn("a history that is a list", "test_train_vae_matches_a_reference_run",
              {"train_vae": returns([1.0, 2.0, 3.0])}),
    OddReturn("prior samples without their latent points", "test_prior_samples_are_decoded_by_the_model",
              {"sample_prior": returns(torch.zeros(10, 64))}),
    OddReturn("an active-unit count as a float", "test_active_units_on_constructed_latents",
              {"active_units": returns(3.0)}),
]


class TestChapter(ChapterTests):
    assignment, mistakes, odd_returns, alternatives = A, MISTAKES, ODD_RETURNS, ALTERNATIVES
    full_marks_seconds = 20
    whole_notebook_mistake = next(i for i, m in enumerate(MISTAKES) if m.name.startswith("forward decodes mu"))
    blame_once = True

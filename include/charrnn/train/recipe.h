// Recipes: named sets of model and training options, measured to work well together
// (README: "Getting the best model in the time you have"). A flag the user gives wins over
// the recipe's value for it.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "charrnn/config.h"

namespace charrnn {

struct RecipeSetting {
  const char* flag;  // the train flag this setting stands for, e.g. "--hidden"
  std::function<void(ModelConfig&, TrainConfig&)> apply;
};

struct Recipe {
  std::string name;
  std::string summary;  // one line for --help and the log
  std::vector<RecipeSetting> settings;
};

// Every recipe, in the order --help lists them.
const std::vector<Recipe>& recipes();

// The recipe called `name`; throws InputError listing the names when there is none.
const Recipe& find_recipe(const std::string& name);

// Applies `recipe` to the configs, skipping each setting whose flag `given` says the user set.
// Returns the flags it set.
std::vector<std::string> apply_recipe(const Recipe& recipe, ModelConfig& model, TrainConfig& train,
                                      const std::function<bool(const char* flag)>& given);

}  // namespace charrnn
